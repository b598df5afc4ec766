// Package frame is the framing of the pipes between the app and its worker
// processes (node/compute's job worker, node/gpu's GPU worker): each frame is a kind
// byte, a 4-byte big-endian length and that many bytes of body. Read bounds the body
// it accepts, so a worker that writes garbage costs its reader one error, not memory.
package frame
