using System.Text.Json.Nodes;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;
using Xunit;

namespace Pdp.Policies.Tests.Loading;

/// <summary><c>prepare(data)</c> at load: what it returns is kept as data; anything that throws, loops or cannot be frozen refuses the set.</summary>
public sealed class PrepareLoadingTests
{
    private static readonly SandboxOptions Limits = new()
    {
        TimeoutMilliseconds = 200,
        MaxStatements = 20_000,
        MemoryLimitBytes = 4 * 1024 * 1024,
        MaxRecursionDepth = 32,
    };

    private static string Policy(string prepareBody) => $$"""
        export const policy = { id: "p", owner: "o", approver_group: "g", applies_to: ["*"] };
        export function prepare(data) {
        {{prepareBody}}
        }
        export function decide(input, data, prepared) { return undefined; }
        """;

    private static (PolicySet? Set, IReadOnlyList<PolicyProblem> Problems) Load(string source, SandboxOptions? limits = null, string groups = """{"g": ["Alice ", "bob"]}""") =>
        new PolicySetLoader(limits ?? Limits).TryLoad(new PolicySourceSnapshot("inline", [new SourceFile("p.js", source)], [new SourceFile("data/groups.json", groups)], [], []));

    [Fact]
    public void TryLoad_PrepareDerivesFromData_KeptAsDataForThePolicy()
    {
        var (set, problems) = Load(Policy("""
            const members = {};
            for (const m of data.groups.g) { members[m.trim().toLowerCase()] = true; }
            return { members, count: data.groups.g.length, none: null, nested: [[1, "x", false]] };
            """));

        Assert.Empty(problems);
        var prepared = set!.PreparedFor("p");
        Assert.False(prepared!.Failed);
        Assert.Equal("""{"members":{"alice":true,"bob":true},"count":2,"none":null,"nested":[[1,"x",false]]}""", prepared.Value!.ToJsonString());
        Assert.True(set.Policies[0].HasPrepare);
    }

    [Fact]
    public void TryLoad_NoPrepare_NothingPrepared()
    {
        var (set, _) = Load("""
            export const policy = { id: "p", owner: "o", applies_to: ["*"] };
            export function decide(input, data) { return undefined; }
            """);

        Assert.Null(set!.PreparedFor("p"));
        Assert.False(set.Policies[0].HasPrepare);
    }

    [Theory]
    [InlineData("throw new Error('no groups');", "prepare(data) threw: no groups")]
    [InlineData("return data.groups.missing.length;", "prepare(data) threw")]
    [InlineData("data.groups.g.push('mallory'); return {};", "prepare(data) threw")]
    [InlineData("data.extra = 1; return {};", "prepare(data) threw")]
    [InlineData("while (true) {}", "statement limit")]
    [InlineData("function f(n) { return f(n + 1); } return f(0);", "recursion limit")]
    [InlineData("let s = 'x'; for (let i = 0; i < 40; i++) { s = s + s; } return s;", "limit")]
    [InlineData("return Date.now();", "may not read the clock")]
    [InlineData("return { when: new Date() };", "may not read the clock")]
    [InlineData("return;", "returned undefined")]
    [InlineData("return { a: undefined };", "prepared.a is undefined")]
    [InlineData("return new Set(data.groups.g);", "a Set object")]
    [InlineData("return { members: new Map() };", "prepared.members is a Map object")]
    [InlineData("return { f: (x) => x };", "prepared.f is a function")]
    [InlineData("return { n: 0 / 0 };", "prepared.n is NaN")]
    [InlineData("return [1, Infinity];", "prepared[1] is Infinity")]
    [InlineData("return { s: Symbol('x') };", "prepared.s is symbol")]
    [InlineData("return { b: 10n };", "prepared.b is bigint")]
    [InlineData("const a = { }; const b = { a }; a.b = b; return a;", "refers back to an object that contains it")]
    [InlineData("return { get secret() { return 1; } };", "prepared.secret is a getter or setter")]
    [InlineData("class Box {} return { box: new Box() };", "prepared.box is an object whose prototype")]
    [InlineData("const a = [1]; a[5] = 2; return a;", "prepared[1] is a hole")]
    [InlineData("return { d: new Date(0) };", "prepared.d is a Date object")]
    [InlineData("return { r: /x/ };", "prepared.r is a RegExp object")]
    public void TryLoad_PrepareFails_LoadRefusedNamingPolicyFileAndReason(string prepareBody, string reason)
    {
        var (set, problems) = Load(Policy(prepareBody));

        Assert.Null(set);
        var problem = Assert.Single(problems);
        Assert.Equal(("p.js", 2), (problem.File, problem.Line));
        Assert.StartsWith("policy 'p': ", problem.Message, StringComparison.Ordinal);
        Assert.Contains(reason, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_PrepareRunsPastCpuBudget_Refused()
    {
        var limits = new SandboxOptions { TimeoutMilliseconds = 50, MaxStatements = 100_000_000 };

        var (set, problems) = Load(Policy("let i = 0; while (true) { i++; }"), limits);

        Assert.Null(set);
        Assert.Contains("prepare(data) used more than 50 ms of CPU time", Assert.Single(problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_PrepareTooDeep_Refused()
    {
        var (set, problems) = Load(Policy("let v = 1; for (let i = 0; i < 70; i++) { v = [v]; } return v;"));

        Assert.Null(set);
        Assert.Contains("nested deeper than 64", Assert.Single(problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_PrepareNotAFunction_Refused()
    {
        var (set, problems) = Load("""
            export const policy = { id: "p", owner: "o", applies_to: ["*"] };
            export const prepare = { members: [] };
            export function decide(input, data) { return undefined; }
            """);

        Assert.Null(set);
        var problem = Assert.Single(problems);
        Assert.Equal(("p.js", 2), (problem.File, problem.Line));
        Assert.Contains("'prepare', when exported, must be a function 'prepare(data)'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_SharedNotCyclicStructure_Accepted()
    {
        var (set, problems) = Load(Policy("const shared = { x: 1 }; return { a: shared, b: [shared, shared] };"));

        Assert.Empty(problems);
        Assert.Equal("""{"a":{"x":1},"b":[{"x":1},{"x":1}]}""", set!.PreparedFor("p")!.Value!.ToJsonString());
    }

    [Fact]
    public void WithData_PrepareRunsAgainOnTheNewData()
    {
        var loader = new PolicySetLoader(Limits);
        var set = loader.Load(new PolicySourceSnapshot("inline", [new SourceFile("p.js", Policy("return data.groups.g.length;"))], [new SourceFile("data/groups.json", """{"g": ["a"]}""")], [], []));

        var replaced = set.WithData(new JsonObject { ["groups"] = JsonNode.Parse("""{"g": ["a", "b", "c"]}""") });
        var broken = set.WithData(new JsonObject { ["groups"] = new JsonObject() });

        Assert.Equal(1, (double)set.PreparedFor("p")!.Value!);
        Assert.Equal(3, (double)replaced.PreparedFor("p")!.Value!);
        Assert.Contains("prepare(data) threw", broken.PreparedFor("p")!.Failure, StringComparison.Ordinal);
        Assert.Equal(3, loader.PrepareCalls);
    }
}
