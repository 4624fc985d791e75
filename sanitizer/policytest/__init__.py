"""Policy tests users can write and run: `sanitizer test rules/tests/*.yaml`.

A test file is YAML. It names its policy by a path relative to the test file (so it runs
from any directory), may give test-only values for the environment variables the policy's
keys read (so hashes and pseudonyms are deterministic), and lists cases:

```yaml
policy: ../nagios.yaml
keys:                                   # clearly fake, base64 of 32 bytes; never real keys
  SANITIZER_KEY_PSEUDONYM: c2FuaXRpemVyLXRlc3Qta2V5LW5vdC1hLXNlY3JldCE=
cases:
  - name: problem-is-critical
    input_file: ../../tests/fixtures/alerts/nagios-service-critical.json
    equals: {message_type: CRITICAL}
    absent: [CONTACTEMAIL, org_key]
    no_email: true
  - name: recovery-resolves-it
    input: {NOTIFICATIONTYPE: RECOVERY, HOSTNAME: db-1, SERVICEDESC: disk}
    same_entity_id_as: problem-is-critical
```

Each case has an input (`input:` inline, or `input_file:` a JSON file relative to the test
file, read as strictly as the proxy reads a body) and at least one expectation:

output             the whole output, exactly (a failure shows a unified diff)
present / absent   paths that must / must not exist: a top-level key as written (so
                   ``vo_annotate.s.Note`` is the key, not a path) or else a JMESPath path
equals             {path: value}: the value at each path; here a path may also be any
                   JMESPath expression, e.g. {"length(state_message)": 1024}
no_ipv4 / no_ipv6 / no_email   nothing of that kind in any string or key of the output
not_contains       [values]: none of these survives anywhere in the output, as a substring
                   of any key or scalar (numbers, true, false and null compared by their
                   JSON text, so `not_contains: [10.20.30.40, 1795500764]` finds the address
                   inside a message and the number as a value or inside a string); a failure
                   names the value by its position in the list and where it was found
refused            true: the policy must refuse the alert (false: it must not)
refused_by         the rule id the refusal must name (implies refused)
same_entity_id_as  another case's name: both outputs have the same `entity_id`; `case#N`
                   names the N-th alert (from 1) of a split case

A policy with `split:` makes several alerts of one body; its cases check them under
`alerts:` (one mapping of the expectations above per alert, in order, `{}` for one with
nothing to check; the number of alerts must match) and `each:` (expectations every alert
meets; no `same_entity_id_as`). Their top level then holds no output expectation, and
`refused` / `refused_by` are about the whole body (one refused alert refuses it all):

  - name: group-of-two
    input_file: ../../tests/fixtures/alerts/alertmanager-group.json
    each: {no_ipv4: true, present: [entity_id]}
    alerts:
      - {equals: {message_type: CRITICAL}}
      - {equals: {message_type: RECOVERY}, same_entity_id_as: earlier-group#2}

Output: one line per case, details under each failing one, then what no case exercised,
and `N passed, M failed` alone on the last line. A test file that cannot be used (bad YAML,
unknown field, missing input file, a policy that does not load) is reported on one `ERROR`
line naming the file and the case, and counts as one failure.

Not exercised: while the cases run, every rule records whether it ran (its `when` was true)
and which of its selectors (each `select`, a `rename` source, a `keys` regex) found at least
one place in the document that rule saw. Over all the files that test one policy, each rule
that never ran and each selector that never matched is listed after the results:

    not exercised (policy 'nagios', rules/nagios.yaml):
      rule 'upper-timet' select 'timet': never matched
      rule 'long-host-output': never ran: its when was never true

The list does not fail the run; with `strict` (`sanitizer test --strict`) each entry counts
as a failure and the last line reads `N passed, M failed, K not exercised`.

Layout: `spec` holds the validated shapes (a case, a test file, a path to check), `cases`
reads one case, `files` reads a whole test file and finds the files that test a policy,
`expectations` checks an output against a case, and `running` runs the cases and reports.
"""

from sanitizer.policytest.files import load_test_file, tests_for_policy
from sanitizer.policytest.running import PolicyRun, exercise, run_suite, run_test_files
from sanitizer.policytest.spec import CaseSpec, PathCheck, SuiteSpec

__all__ = [
    "CaseSpec",
    "PathCheck",
    "PolicyRun",
    "SuiteSpec",
    "exercise",
    "load_test_file",
    "run_suite",
    "run_test_files",
    "tests_for_policy",
]
