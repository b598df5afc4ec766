package capacity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// Reading is a probed value that may be unknown. The zero Reading is unknown, so a
// probe that leaves a field alone never invents a value, and the governor has to say
// what it does when a sensor is missing.
type Reading[T any] struct {
	value T
	known bool
}

// Known returns a Reading that holds v.
func Known[T any](v T) Reading[T] { return Reading[T]{value: v, known: true} }

// Get returns the value and whether it is known.
func (r Reading[T]) Get() (T, bool) { return r.value, r.known }

// IsKnown reports whether the probe measured the value.
func (r Reading[T]) IsKnown() bool { return r.known }

// IsZero reports an unknown Reading, so `json:",omitzero"` leaves it out.
func (r Reading[T]) IsZero() bool { return !r.known }

// String shows the value, or "unknown".
func (r Reading[T]) String() string {
	if !r.known {
		return "unknown"
	}
	return fmt.Sprint(r.value)
}

// MarshalJSON encodes an unknown Reading as null and a known one as its value. A
// known nil slice is written as [], so that "none found" does not read back as
// unknown.
func (r Reading[T]) MarshalJSON() ([]byte, error) {
	if !r.known {
		return []byte("null"), nil
	}
	if v := reflect.ValueOf(r.value); v.Kind() == reflect.Slice && v.IsNil() {
		return []byte("[]"), nil
	}
	return json.Marshal(r.value)
}

// UnmarshalJSON reads null as unknown and anything else as a known value.
func (r *Reading[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*r = Reading[T]{}
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Known(v)
	return nil
}
