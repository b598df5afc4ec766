// Package packaging checks the release artifacts that the recipes beside it make: the
// .deb packages installed into a throwaway root, started and purged (deb_test.go), and
// two release builds of daoli-trustee from different directories compared byte for
// byte (reproducible_test.go). It holds no code of its own; the recipes are
// release.sh, package.sh and the files under deb/, linux/, systemd/, container/ and
// kubernetes/ (see README.md).
package packaging
