from reference_services.kernel.migrations import run_env
from reference_services.scheduler.models import Base

run_env(Base.metadata)
