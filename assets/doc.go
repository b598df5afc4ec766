// Package assets embeds the files the app ships inside its binary: the icon and the
// example job modules (jobs/<name>/main.go, built for WASI by `make jobs`).
package assets
