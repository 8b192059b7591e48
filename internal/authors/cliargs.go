package authors

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// args reads their cli_args with the values their argparse defaults give
// when a key is absent (older runs lack newer flags).
type args struct {
	m    map[string]any
	used map[string]bool
	rep  *Report
}

func (a *args) has(key string) bool { v, ok := a.m[key]; return ok && v != nil }

func (a *args) get(key string, def any, to string) any {
	a.used[key] = true
	if v, ok := a.m[key]; ok && v != nil {
		if to != "" {
			a.rep.Mapped["cli_args."+key] = to
		}
		return v
	}
	if to != "" && def != nil {
		a.rep.Assumed = append(a.rep.Assumed, fmt.Sprintf("cli_args.%s absent or null: their default %v (→ %s)", key, def, to))
	}
	return def
}

func (a *args) num(key string, def float64, to string) (float64, error) {
	switch v := a.get(key, def, to).(type) {
	case float64:
		return v, nil
	case json.Number:
		return v.Float64()
	}
	return 0, fmt.Errorf("cli_args.%s = %v is not a number", key, a.m[key])
}

func (a *args) integer(key string, def int, to string) (int, error) {
	f, err := a.num(key, float64(def), to)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("cli_args.%s = %v is not a whole number", key, f)
	}
	return int(f), nil
}

func (a *args) flag(key string, def bool, to string) (bool, error) {
	if b, ok := a.get(key, def, to).(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("cli_args.%s = %v is not true or false", key, a.m[key])
}

func (a *args) str(key, def, to string) (string, error) {
	if s, ok := a.get(key, def, to).(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("cli_args.%s = %v is not a string", key, a.m[key])
}

func unmarshal(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return errors.New("absent")
	}
	return json.Unmarshal(raw, v)
}

// shown is a flag's value for a message: as recorded, or the default its
// absence stood for.
func (a *args) shown(key string, v any) any {
	if raw, ok := a.m[key]; ok && raw != nil {
		return raw
	}
	return fmt.Sprintf("%v (absent: their default)", v)
}
