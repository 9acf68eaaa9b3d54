"""Client development, one module per part of the chapter (see the package modules)."""
