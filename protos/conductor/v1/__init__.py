"""cellar.conductor.v1: the API a cell conductor serves to its compute agents."""
