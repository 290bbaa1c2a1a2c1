from reference_services.kernel.migrations import run_env
from reference_services.organization.models import Base

run_env(Base.metadata)
