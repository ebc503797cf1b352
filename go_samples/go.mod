module tracer.local/samples

// The go version decides the runtime's GODEBUG defaults (MPTCP listeners,
// keep-alive), so it is the toolchain we want to show, not the oldest one.
go 1.27
