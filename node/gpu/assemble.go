package gpu

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Encode writes a manifest as its module's bytes: JSON in the field order of
// Manifest, without HTML escaping, so that the WGSL reads as written. The same
// manifest gives the same bytes on every machine.
func Encode(m *Manifest) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Assemble builds a GPU module from a manifest without its WGSL (gpu.json of an
// example job) and the WGSL source (main.wgsl): the manifest with the source put in
// and its defaults filled, checked as DecodeManifest checks a module.
func Assemble(manifest, wgsl []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(manifest))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if m.WGSL != "" {
		return nil, fmt.Errorf("%w: the manifest holds its WGSL already", ErrManifest)
	}
	m.WGSL = string(wgsl)
	b, err := Encode(&m)
	if err != nil {
		return nil, err
	}
	checked, err := DecodeManifest(b)
	if err != nil {
		return nil, err
	}
	return Encode(checked)
}
