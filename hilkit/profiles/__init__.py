"""Device profiles: per-dongle YAML files describing modes, switches, attach and time budgets."""
from hilkit.profiles.loader import ProfileLibrary, load_profile
from hilkit.profiles.model import (
           AttachSpec,
           Budgets,
           EndpointSpec,
           InterfaceSpec,
           ModeSpec,
           NetworkModel,
           Profile,
           RefuseSpec,
           SwitchSpec,
           VirtualSpec,
)

__all__ = ["ProfileLibrary", "load_profile", "AttachSpec", "Budgets", "EndpointSpec", "InterfaceSpec",
           "ModeSpec", "NetworkModel", "Profile", "RefuseSpec", "SwitchSpec", "VirtualSpec"]
