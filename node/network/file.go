package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/multiformats/go-multiaddr"
)

// Limits of a network file.
const (
	MaxFileSize  = chain.MaxGenesisSize + 1<<20
	MaxBootstrap = 256
	MaxName      = 128
)

// File is a network file. The chain ID is repeated outside the genesis so a person can
// see at a glance which chain a file is for; the two must agree.
type File struct {
	Name      string         `json:"name"`
	ChainID   string         `json:"chain_id"`
	Genesis   *chain.Genesis `json:"genesis"`
	Bootstrap []string       `json:"bootstrap"` // libp2p multiaddrs ending in /p2p/<peer ID>
}

// fileJSON is File with the genesis kept raw, so that chain.DecodeGenesis applies its
// own strict rules to it.
type fileJSON struct {
	Name      string          `json:"name"`
	ChainID   string          `json:"chain_id"`
	Genesis   json.RawMessage `json:"genesis"`
	Bootstrap []string        `json:"bootstrap"`
}

// Decode parses and validates a network file. Unknown fields and trailing data are
// errors, so a misspelt field is caught rather than ignored.
func Decode(data []byte) (*File, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadFile, len(data), MaxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw fileJSON
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFile, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: trailing data after the object", ErrBadFile)
	}
	if len(raw.Genesis) == 0 || string(raw.Genesis) == "null" {
		return nil, fmt.Errorf("%w: no genesis", ErrBadFile)
	}
	g, err := chain.DecodeGenesis(raw.Genesis)
	if err != nil {
		return nil, fmt.Errorf("%w: genesis: %w", ErrBadFile, err)
	}
	f := &File{Name: raw.Name, ChainID: raw.ChainID, Genesis: g, Bootstrap: raw.Bootstrap}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// Validate checks the rules a network file must satisfy.
func (f *File) Validate() error {
	switch {
	case len(f.Name) > MaxName:
		return fmt.Errorf("%w: name longer than %d bytes", ErrBadFile, MaxName)
	case f.Genesis == nil:
		return fmt.Errorf("%w: no genesis", ErrBadFile)
	case f.ChainID != f.Genesis.ChainID:
		return fmt.Errorf("%w: chain_id %q but the genesis is for %q", ErrBadFile, f.ChainID, f.Genesis.ChainID)
	case len(f.Bootstrap) > MaxBootstrap:
		return fmt.Errorf("%w: more than %d bootstrap addresses", ErrBadFile, MaxBootstrap)
	}
	if err := f.Genesis.Validate(); err != nil {
		return fmt.Errorf("%w: genesis: %w", ErrBadFile, err)
	}
	for _, a := range f.Bootstrap {
		if err := checkPeerAddr(a); err != nil {
			return fmt.Errorf("%w: bootstrap %q: %v", ErrBadFile, a, err)
		}
	}
	if len(f.BootstrapAddrs()) == 0 {
		return fmt.Errorf("%w: no bootstrap address and no trustee address with a /p2p/ peer ID", ErrBadFile)
	}
	return nil
}

// BootstrapAddrs are the addresses to dial first: the file's bootstrap list or, when it
// has none, the genesis trustees' addresses that name a peer.
func (f *File) BootstrapAddrs() []string {
	if len(f.Bootstrap) > 0 {
		return f.Bootstrap
	}
	var out []string
	for _, t := range f.Genesis.Trustees {
		for _, a := range t.Addrs {
			if checkPeerAddr(a) == nil {
				out = append(out, a)
			}
		}
	}
	return out
}

// checkPeerAddr accepts a multiaddr that says where and who: it must end in /p2p/<id>.
func checkPeerAddr(s string) error {
	m, err := multiaddr.NewMultiaddr(s)
	if err != nil {
		return err
	}
	if _, err := m.ValueForProtocol(multiaddr.P_P2P); err != nil {
		return errors.New("no /p2p/<peer ID> component")
	}
	return nil
}

// Encode writes f as indented JSON.
func Encode(f *File) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode network file: %w", err)
	}
	return append(b, '\n'), nil
}

// Load reads and validates the network file at path.
func Load(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open network file: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read network file %s: %w", path, err)
	}
	f, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("network file %s: %w", path, err)
	}
	return f, nil
}

// Save writes f to path atomically: a crash leaves the old file or the new one.
func Save(path string, f *File) error {
	data, err := Encode(f)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".network-*.json")
	if err != nil {
		return fmt.Errorf("save network file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save network file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save network file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save network file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("save network file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save network file: %w", err)
	}
	return nil
}
