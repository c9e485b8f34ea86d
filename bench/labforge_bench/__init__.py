"""labforge's benchmark: what provisioning costs, against the floor, and how it scales."""
