// Package version says which build of Daoli is running: the release number shared by
// the desktop app and the trustee, and the source revision the binary was built from.
package version
