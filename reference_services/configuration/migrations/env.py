from reference_services.configuration.models import Base
from reference_services.kernel.migrations import run_env

run_env(Base.metadata)
