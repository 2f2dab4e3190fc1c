package ldap

// LiveStreams is the number of streamed-search goroutines running.
func LiveStreams() int64 { return liveStreams.Load() }
