using Xunit;

namespace Pdp.Cli.Tests;

/// <summary>
/// Named policy directories, good and broken, shared by the tests of every verb. Each module keeps the
/// same layout so problem lines are predictable: line 1 the <c>policy</c> export, line 2 <c>decide</c>'s
/// header, line 3 its body, line 4 its closing brace.
/// </summary>
internal static class Scenarios
{
    public const string GoodTestFile = "allow.test.json";

    /// <summary>The broken directories: scenario, the text every verb must show, and where check/test print it.</summary>
    public static TheoryData<string, string> Broken() => new()
    {
        { "syntax_error", "broken.js:3:" },
        { "throws_at_load", "throws.js:2:" },
        { "missing_owner", "noowner.js:1:1: policy.owner is required" },
        { "bad_applies_to", "badpattern.js:1:1: policy.applies_to: 'IAM.*' is not an action pattern" },
        { "duplicate_ids", "twin.js: policy id 'iam-allow' is used by more than one file (allow.js, twin.js)" },
        { "invalid_data", "data/groups.json:3:" },
        { "broken_lib", "lib/util.js:2:1: syntax error" },
        { "missing_lib", "uses.js:1:1: import './lib/nope.js': there is no helper module lib/nope.js" },
        { "broken_prepare", "prepares.js:2:1: policy 'prepares': prepare(data) threw: no such group" },
    };

    public static string Module(string id, string body, string appliesTo = "[\"iam.*\"]", string owner = "owner: \"iam-team\", ") =>
        $$"""
        export const policy = { id: "{{id}}", {{owner}}approver_group: "g", applies_to: {{appliesTo}} };
        export function decide(input, data) {
          {{body}}
        }

        """;

    public static string Returns(string verdict, string reason) => $$"""return { verdict: "{{verdict}}", reason: "{{reason}}" };""";

    public static string TestFile(string name, string input, string expect) =>
        $$"""
        {
          "cases": [
            {
              "name": "{{name}}",
              "input": {{input}},
              "expect": {{expect}}
            }
          ]
        }

        """;

    public static IEnumerable<(string File, string Content)> Files(string scenario)
    {
        var good = new List<(string, string)>
        {
            ("allow.js", Module("iam-allow", Returns("allow", "allowed by iam-allow"))),
            ("data/groups.json", """{ "g": ["alice", "bob", "carol"] }"""),
            (GoodTestFile, TestFile("disabling an account is allowed", """{ "action": { "type": "iam.account.disable" } }""", """{ "verdict": "allow", "policy_id": "iam-allow" }""")),
        };
        (string, string)[] extra = scenario switch
        {
            "good" => [],
            "syntax_error" => [("broken.js", Module("broken", "return { verdict: \"allow\", reason: \"x\" ;"))],
            "throws_at_load" => [("throws.js", """
                export const policy = { id: "throws", owner: "iam-team", applies_to: ["iam.*"] };
                const SETTINGS = JSON.parse("{ not json");
                export function decide(input, data) {
                  return { verdict: "allow", reason: SETTINGS.reason };
                }

                """)],
            "missing_owner" => [("noowner.js", Module("noowner", Returns("allow", "x"), owner: string.Empty))],
            "bad_applies_to" => [("badpattern.js", Module("badpattern", Returns("allow", "x"), appliesTo: "[\"IAM.*\"]"))],
            "duplicate_ids" => [("twin.js", Module("iam-allow", Returns("deny", "x")))],
            "invalid_data" => [("data/groups.json", "{\n  \"g\": [\"alice\",\n  }\n")],
            "with_lib" => [("uses.js", "import { norm } from \"./lib/util.js\";\n" + Module("uses", "return norm(input.agent.id) === \"nobody\" ? { verdict: \"deny\", reason: \"x\" } : undefined;")), ("lib/util.js", "export function norm(v) { return typeof v === \"string\" ? v.trim().toLowerCase() : \"\"; }\n")],
            "broken_lib" => [("uses.js", "import { norm } from \"./lib/util.js\";\n" + Module("uses", Returns("allow", "x"))), ("lib/util.js", "export function norm(v) { return v;\n")],
            "missing_lib" => [("uses.js", "import { norm } from \"./lib/nope.js\";\n" + Module("uses", Returns("allow", "x")))],
            "broken_prepare" => [("prepares.js", """
                export const policy = { id: "prepares", owner: "iam-team", applies_to: ["iam.*"] };
                export function prepare(data) {
                  if (!data.groups.missing) { throw new Error("no such group"); }
                  return {};
                }
                export function decide(input, data, prepared) {
                  return undefined;
                }

                """)],
            _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown scenario"),
        };

        // A scenario's file replaces the good one of the same name.
        return good.Where(g => extra.All(e => e.Item1 != g.Item1)).Concat(extra);
    }
}
