"""passerelle: the coordination layer for refugee employment support in Brussels."""
