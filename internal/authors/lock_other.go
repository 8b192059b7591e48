//go:build !unix

package authors

// lockFile has no flock to take here: it only marks the folder.
func lockFile(path string) (release func(), err error) { return func() {}, nil }

// abandoned cannot prove an owner dead without flock: it never says so,
// and stale staging folders are left for the user to remove.
func abandoned(path string) (release func(), ok bool) { return nil, false }
