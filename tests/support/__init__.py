"""What tests share: fake servers, processes, config files. Imported, never conftest."""
