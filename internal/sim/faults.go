package sim

// Fail makes every later call of action (e.g. "GetCallerIdentity") fail with
// an API error of code and message, the way AWS answers a session that
// expired ("ExpiredToken") or a request it rejects.
func (s *Sim) Fail(action, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[action] = apiError(code, message)
}
