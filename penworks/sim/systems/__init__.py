"""The vertical systems of Building 15, one module each, stepped by penworks.sim.building."""
