// Package control is the local control API (docs/light.md): a running light node (inside
// the desktop app or as `daoli node`) serves it on a Unix socket in its data directory,
// and the CLI's commands are its clients, the way BOINC's command-line tool talks to
// its client.
//
// The protocol is HTTP/1.1 with JSON bodies over the socket, so it can be read with
// curl --unix-socket. The socket is created with mode 0600 in a directory of mode 0700,
// and on Linux the server also checks the connecting process's user (SO_PEERCRED):
// only the user who runs the node may talk to it.
//
//	GET  /v1/status            Status
//	GET  /v1/balance           Balance, proven against a verified header
//	GET  /v1/ledger?from=H     []Entry from height H
//	GET  /v1/summary           Summary: earnings today, 7 and 30 days by source
//	POST /v1/send              SendRequest → SendResponse
//	GET  /v1/sharing           SharingState of the governor
//	POST /v1/sharing           SharingRequest → SharingState
//	POST /v1/sharing/choice    SharingChoiceRequest → SharingState: share now, pause, rules
//	GET  /v1/pricing           PricingState: the provider's price and slots, and the suggestion
//	POST /v1/pricing           PricingRequest → PricingState: set them, saved and registered
//	POST /v1/jobs              JobRequest → JobResponse: buy a run of a job
//	GET  /v1/jobs              []JobView: the node's deals, newest first
//	GET  /v1/jobs/{id}         JobView of one deal
//	POST /v1/jobs/{id}/output  OutputRequest → OutputResponse: write its output
//	POST /v1/jobs/{id}/cancel  JobView: withdraw a deal no provider accepted
//
// Errors are JSON {"error": "..."} with a 4xx status for bad requests and 5xx for
// failures of the node.
package control
