package task

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Domain is the set of values a task parameter accepts. A task declares it
// on the parameter (Param.Domain) and ResolveParams, which Generator.Batch
// and so the plugin SDK call before generating, refuses any other value
// with the parameter, the value and the domain, so that a typo such as
// p_stable=5 never silently becomes a different task. A nil Domain accepts
// any text.
//
// Domains are checked where the generator runs: the wire protocol does not
// carry them, so a host learns of a refusal by asking (the trainer sends one
// small request before it writes a run, see trainer.Preflight).
type Domain struct {
	Kind             DomainKind
	Min, Max         float64  // Float and Int: inclusive bounds
	Choices          []string // OneOf
	minText, maxText string   // the bounds as declared, for messages
}

// DomainKind says how a parameter's text is read.
type DomainKind int

const (
	Float DomainKind = iota + 1 // a finite decimal number in [Min, Max]
	Int                         // a decimal integer in [Min, Max]
	Enum                        // one of Choices, exactly
)

// FloatIn accepts finite numbers in [lo, hi]; NaN and infinities never.
func FloatIn(lo, hi float64) *Domain {
	return &Domain{Kind: Float, Min: lo, Max: hi, minText: fmtFloat(lo), maxText: fmtFloat(hi)}
}

// IntIn accepts decimal integers in [lo, hi].
func IntIn(lo, hi int64) *Domain {
	return &Domain{Kind: Int, Min: float64(lo), Max: float64(hi), minText: strconv.FormatInt(lo, 10), maxText: strconv.FormatInt(hi, 10)}
}

// OneOf accepts exactly one of choices.
func OneOf(choices ...string) *Domain { return &Domain{Kind: Enum, Choices: choices} }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// String describes the domain for people: "a number in [0, 1]".
func (d *Domain) String() string {
	if d == nil {
		return "any text"
	}
	switch d.Kind {
	case Float:
		return fmt.Sprintf("a number in [%s, %s]", d.minText, d.maxText)
	case Int:
		return fmt.Sprintf("an integer in [%s, %s]", d.minText, d.maxText)
	case Enum:
		q := make([]string, len(d.Choices))
		for i, c := range d.Choices {
			q[i] = strconv.Quote(c)
		}
		return "one of " + strings.Join(q, ", ")
	}
	return fmt.Sprintf("domain kind %d", d.Kind)
}

// check reports whether v lies in the domain; the error says how it fails,
// without naming the parameter.
func (d *Domain) check(v string) error {
	if d == nil {
		return nil
	}
	switch d.Kind {
	case Float:
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return errNotA("a number")
		}
		if math.IsNaN(x) || x < d.Min || x > d.Max {
			return errOutside
		}
	case Int:
		x, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return errNotA("an integer")
		}
		if err != nil || float64(x) < d.Min || float64(x) > d.Max {
			return errOutside
		}
	case Enum:
		for _, c := range d.Choices {
			if v == c {
				return nil
			}
		}
		return errOutside
	}
	return nil
}

// valid catches domains that accept nothing.
func (d *Domain) valid() error {
	if d == nil {
		return nil
	}
	switch d.Kind {
	case Float, Int:
		if !(d.Min <= d.Max) { // also catches NaN bounds
			return fmt.Errorf("an empty range [%s, %s]", d.minText, d.maxText)
		}
	case Enum:
		if len(d.Choices) == 0 {
			return fmt.Errorf("a choice that declares no value")
		}
	default:
		return fmt.Errorf("an unknown domain kind %d", d.Kind)
	}
	return nil
}

type domainErr string

func (e domainErr) Error() string { return string(e) }

const errOutside = domainErr("is outside its domain")

func errNotA(what string) error { return domainErr("is not " + what) }

// checkParam checks one resolved value against p's domain.
func (d Description) checkParam(p Param, v string) error {
	if err := p.Domain.check(v); err != nil {
		msg := fmt.Sprintf("task %s: parameter %s = %q %v: %s", d.Name, p.Key, v, err, p.Domain)
		if p.Help != "" {
			msg += " (" + p.Help + ")"
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}
