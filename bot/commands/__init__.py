"""The commands of ``newsbot``: each module's ``main(args)`` returns the exit status."""
