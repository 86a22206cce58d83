using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Acornima;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Pdp.Policies.Analysis;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;

namespace Pdp.Policies.Loading;

/// <summary>
/// Builds a <see cref="PolicySet"/> from a source snapshot, checking everything the server relies on:
/// syntax, the sandbox's module rules, metadata, unique ids, valid data documents, and that each module
/// instantiates inside the sandbox. It reports every problem it finds, each with file, line and column.
/// </summary>
public sealed class PolicySetLoader
{
    /// <summary>Deepest JSON nesting accepted in a data document.</summary>
    public const int MaxDataDepth = 64;

    private readonly SandboxOptions _sandbox;
    private readonly TimeProvider _time;

    public PolicySetLoader(SandboxOptions sandbox, TimeProvider? time = null)
    {
        _sandbox = sandbox;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Loads the set or throws <see cref="PolicyLoadException"/> listing every problem.</summary>
    public PolicySet Load(PolicySourceSnapshot snapshot)
    {
        var (set, problems) = TryLoad(snapshot);
        return set ?? throw new PolicyLoadException(problems);
    }

    /// <summary>Loads the set, or returns null and the problems.</summary>
    public (PolicySet? Set, IReadOnlyList<PolicyProblem> Problems) TryLoad(PolicySourceSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var problems = new List<PolicyProblem>(snapshot.Problems);
        var data = LoadData(snapshot.DataFiles, problems);
        var policies = new List<CompiledPolicy>();
        SandboxEngine? engine = null;
        foreach (var file in snapshot.Policies)
        {
            engine ??= new SandboxEngine(_sandbox);
            var compiled = Compile(file, engine, problems, out var engineTainted);
            if (engineTainted)
            {
                // A module that failed half-way may have left registrations behind; start clean.
                engine = null;
            }

            if (compiled is not null)
            {
                policies.Add(compiled);
            }
        }

        foreach (var duplicate in policies.GroupBy(p => p.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var files = string.Join(", ", duplicate.Select(p => p.File));
            foreach (var policy in duplicate.Skip(1))
            {
                problems.Add(new PolicyProblem(policy.File, 0, 0, $"policy id '{duplicate.Key}' is used by more than one file ({files})"));
            }
        }

        if (snapshot.Policies.Count == 0 && problems.Count == 0)
        {
            problems.Add(new PolicyProblem(snapshot.Origin, 0, 0, "no policy files (*.js) found"));
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var revision = ComputeRevision(snapshot);
        var fileNames = snapshot.Policies.Concat(snapshot.DataFiles).Select(f => f.Path).ToArray();
        return (new PolicySet(revision, policies, data, fileNames, _time.GetUtcNow()), problems);
    }

    private static JsonObject LoadData(IReadOnlyList<SourceFile> files, List<PolicyProblem> problems)
    {
        var data = new JsonObject();
        foreach (var file in files)
        {
            var before = problems.Count;
            var node = JsonSourceParser.Parse(file, "data file", MaxDataDepth, problems);
            if (problems.Count == before)
            {
                data[Path.GetFileNameWithoutExtension(file.Path)] = node;
            }
        }

        return data;
    }

    private static CompiledPolicy? Compile(SourceFile file, SandboxEngine engine, List<PolicyProblem> problems, out bool engineTainted)
    {
        engineTainted = false;
        Prepared<Module> original;
        try
        {
            original = Engine.PrepareModule(file.Content, file.Path);
        }
        catch (Exception e) when (FindParseError(e) is { } parse)
        {
            problems.Add(new PolicyProblem(file.Path, parse.LineNumber, parse.Column + 1, $"syntax error: {parse.Description}"));
            return null;
        }

        var shape = ModuleShapeAnalyzer.Analyze(original.Program!);
        foreach (var problem in shape.Problems)
        {
            problems.Add(new PolicyProblem(file.Path, problem.Line, problem.Column, problem.Message));
        }

        if (shape.TopLevelBindings.Any(b => b.StartsWith("__pdp", StringComparison.Ordinal)))
        {
            problems.Add(new PolicyProblem(file.Path, 0, 0, "names starting with '__pdp' are reserved"));
            return null;
        }

        if (shape.Problems.Count > 0)
        {
            return null;
        }

        // The appended line goes after the author's last line, so every reported position stays true.
        var augmented = $"{file.Content}\n;export const {CompiledPolicy.BindingsExport} = [{string.Join(", ", shape.TopLevelBindings)}];\n";
        var prepared = Engine.PrepareModule(augmented, file.Path);
        var policyLine = FindExportLine(original.Program!, "policy");
        try
        {
            engine.Engine.Modules.Add(file.Path, builder => builder.AddModule(prepared));
            var exports = engine.Engine.Modules.Import(file.Path);
            var before = problems.Count;
            var metadata = PolicyMetadataReader.Read(exports.Get("policy"), message => problems.Add(new PolicyProblem(file.Path, policyLine, 1, message)));
            if (exports.Get("decide") is not Jint.Native.Function.Function)
            {
                problems.Add(new PolicyProblem(file.Path, FindExportLine(original.Program!, "decide"), 1, "the module must export a function 'decide(input, data)'"));
            }

            return problems.Count == before && metadata is not null
                ? new CompiledPolicy(metadata, file.Path, file.Path, prepared)
                : null;
        }
        catch (JavaScriptException e)
        {
            engineTainted = true;
            problems.Add(new PolicyProblem(file.Path, e.Location.Start.Line, e.Location.Start.Column + 1, $"module failed to load: {e.Message}"));
        }
        catch (Exception e) when (e is JintException or TimeoutException or OperationCanceledException)
        {
            engineTainted = true;
            problems.Add(new PolicyProblem(file.Path, 0, 0, $"module failed to load inside the sandbox limits: {e.Message}"));
        }

        return null;
    }

    /// <summary>Jint wraps the parser's error; the line and column live on the inner one.</summary>
    private static ParseErrorException? FindParseError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is ParseErrorException parse)
            {
                return parse;
            }
        }

        return null;
    }

    private static int FindExportLine(Module program, string name)
    {
        foreach (var statement in program.Body)
        {
            var declaration = statement is ExportNamedDeclaration export ? export.Declaration : statement as Declaration;
            switch (declaration)
            {
                case VariableDeclaration variables when variables.Declarations.Any(d => d.Id is Identifier id && id.Name == name):
                case FunctionDeclaration { Id.Name: var fn } when fn == name:
                    return statement.Location.Start.Line;
            }
        }

        return 1;
    }

    private static string ComputeRevision(PolicySourceSnapshot snapshot)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in snapshot.Policies.Concat(snapshot.DataFiles).OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file.Path));
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(file.Content));
            hash.AppendData([0]);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
