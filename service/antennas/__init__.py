"""The OCS antennas: the defaults seeded from the routing reference, and their administration."""
