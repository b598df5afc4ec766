// Package network reads and writes the network file: the one file that points a node at
// a Daoli network — its chain ID, its genesis, and the trustee addresses to dial first.
// Joining a real network instead of the local demo is choosing another such file.
package network
