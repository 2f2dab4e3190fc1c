package ldap

// LiveStreams is the number of streamed-search goroutines running.
func LiveStreams() int64 { return liveStreams.Load() }

// LowatOverasks is the number of full pages whose reads waited for more than came.
func LowatOverasks() int64 { return lowatOverasks.Load() }
