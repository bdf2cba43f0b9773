package kms

// CachedKeys reports how many data keys k's cache holds.
func CachedKeys(k *Keyring) int {
	k.cache.mu.Lock()
	defer k.cache.mu.Unlock()
	return len(k.cache.keys)
}
