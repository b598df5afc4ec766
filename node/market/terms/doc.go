// Package terms holds what the compute market's parties and its screens share besides
// the market's code: the largest blob (a job's module, input or output) the network
// carries, and a deal's state in words. It imports no package of this module, so the
// sandbox (node/compute), the content directory (node/content) and the screens (ui,
// which imports no node package otherwise) can all name the same limit and say the
// same words; the command line (app) says them too.
package terms
