"""Status pages, components and incidents in the console."""
