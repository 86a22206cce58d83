using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;
using Pdp.Evaluation.Testing;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;

namespace Pdp.Evaluation.Tests;

/// <summary>Builds policy sets from inline sources, the way the loader builds them from a directory.</summary>
internal static class TestPolicies
{
    public static string Module(string id, string body, string appliesTo = "[\"*\"]", string? owner = null, string approverGroup = "reviewers") =>
        $$"""
        export const policy = { id: "{{id}}", owner: "{{owner ?? "owner-of-" + id}}", approver_group: "{{approverGroup}}", applies_to: {{appliesTo}} };
        export function decide(input, data) {
        {{body}}
        }
        """;

    public static PolicySet Load(SandboxOptions? sandbox = null, string data = "{}", params (string File, string Source)[] files)
    {
        var snapshot = new PolicySourceSnapshot(
            "inline",
            files.Select(f => new SourceFile(f.File, f.Source)).ToArray(),
            [new SourceFile("data/groups.json", data)],
            [],
            []);
        return new PolicySetLoader(sandbox ?? new SandboxOptions()).Load(snapshot);
    }

    public static Decision Decide(this PolicyEvaluator evaluator, string actionType = "iam.account.disable", JsonObject? extra = null)
    {
        var partial = extra ?? [];
        partial["action"] ??= new JsonObject();
        partial["action"]!["type"] = actionType;
        var input = InputDocument.Complete(partial);
        return evaluator.Evaluate(new EvaluationRequest(input, actionType, InputDocument.TimeOf(input)));
    }

    public static string RepositoryRoot() => Pdp.TestSupport.Repository.Root;
}
