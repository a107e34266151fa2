"""The global API database: the cell routing index, global data, and their access layer."""
