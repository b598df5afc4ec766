// Package assets embeds the files the app ships inside its binary: the icon now, the
// example job modules later.
package assets
