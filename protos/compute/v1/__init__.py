"""cellar.compute.v1: the API a compute agent serves to its cell conductor."""
