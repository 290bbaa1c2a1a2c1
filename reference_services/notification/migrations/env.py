from reference_services.kernel.migrations import run_env
from reference_services.notification.models import Base

run_env(Base.metadata)
