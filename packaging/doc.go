// Package packaging checks the release artifacts that the recipes beside it make: the
// .deb packages installed into a throwaway root, started and purged (deb_test.go), and
// two release builds of daoli-trustee from different directories compared byte for
// byte (reproducible_test.go), and Fyne's idle main loop: the patch applies to the
// Fyne go.mod names and stops the build on one that drifted, and each build says
// which loop it runs (fyne_test.go). It holds no code of its own; the recipes are
// release.sh, package.sh and the files under deb/, linux/, systemd/, container/,
// kubernetes/ and fyne/ (see README.md).
package packaging
