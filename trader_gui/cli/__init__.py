"""The command line: `trader-gui` opens the window; subcommands work without one."""
