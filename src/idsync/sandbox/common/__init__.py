"""What every emulator shares: fault injection, a steppable clock, request statistics, the
`/_sandbox/` admin API and an in-process server runner."""
