using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Jint;
using Jint.Runtime;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;

namespace Pdp.Policies.Loading;

/// <summary>
/// Builds a <see cref="PolicySet"/> from a source snapshot, checking everything the server relies on:
/// syntax, the sandbox's module rules, where imports lead (helper modules in <c>lib/</c> only), metadata, unique
/// ids, valid data documents, that each module instantiates inside the sandbox, and that each <c>prepare(data)</c>
/// returns a value that can be frozen. It reports every problem it finds, each with file, line and column.
/// </summary>
public sealed class PolicySetLoader
{
    /// <summary>Deepest JSON nesting accepted in a data document.</summary>
    public const int MaxDataDepth = 64;

    private readonly SandboxOptions _sandbox;
    private readonly TimeProvider _time;
    private readonly PolicyPreparer _preparer;

    public PolicySetLoader(SandboxOptions sandbox, TimeProvider? time = null)
    {
        _sandbox = sandbox;
        _time = time ?? TimeProvider.System;
        _preparer = new PolicyPreparer(sandbox);
    }

    /// <summary>
    /// Calls of a policy's <c>prepare(data)</c> made for the sets this loader built (and their <see cref="PolicySet.WithData"/>
    /// copies): once per preparing policy and set, never per decision.
    /// </summary>
    public long PrepareCalls => _preparer.Calls;

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
        var libraries = LibraryLoader.Load(snapshot.Libraries, _sandbox, problems);
        var policies = new List<CompiledPolicy>();
        SandboxEngine? engine = null;
        foreach (var file in snapshot.Policies)
        {
            engine ??= new SandboxEngine(_sandbox, libraries.Usable);
            var compiled = Compile(file, engine, libraries, problems, out var engineTainted);
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
            // prepare(data) runs only on a set that is otherwise sound: on broken data or modules its failures would be noise.
            return (null, problems);
        }

        var prepared = _preparer.Prepare(policies, libraries.Usable, data);
        foreach (var policy in policies)
        {
            if (prepared.TryGetValue(policy.Id, out var result) && result.Failure is { } failure)
            {
                problems.Add(new PolicyProblem(policy.File, policy.PrepareLine, 1, $"policy '{policy.Id}': {failure}"));
            }
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var revision = ComputeRevision(snapshot);
        var fileNames = snapshot.Policies.Concat(snapshot.Libraries).Concat(snapshot.DataFiles).Select(f => f.Path).ToArray();
        return (new PolicySet(revision, policies, libraries.Usable, data, prepared, _preparer, fileNames, _time.GetUtcNow()), problems);
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

    private static CompiledPolicy? Compile(SourceFile file, SandboxEngine engine, LibraryLoader.Result libraries, List<PolicyProblem> problems, out bool engineTainted)
    {
        engineTainted = false;
        var known = libraries.Usable.Select(l => l.File).Concat(libraries.Unusable).ToHashSet(StringComparer.Ordinal);
        var parsed = ModuleCompiler.Parse(file, known, problems);
        if (parsed is null)
        {
            return null;
        }

        if (parsed.Imports.FirstOrDefault(i => libraries.Unusable.Contains(i.Library)) is { Library: not null } broken)
        {
            problems.Add(new PolicyProblem(file.Path, broken.Import.Line, broken.Import.Column, $"import '{broken.Import.Specifier}': the helper module {broken.Library} cannot be loaded (see its problems)"));
            return null;
        }

        var policyLine = ModuleCompiler.FindExportLine(parsed.Program, "policy");
        try
        {
            var exports = engine.ImportFrozen(file.Path, parsed.Runnable);
            var before = problems.Count;
            var metadata = PolicyMetadataReader.Read(exports.Get("policy"), message => problems.Add(new PolicyProblem(file.Path, policyLine, 1, message)));
            if (exports.Get("decide") is not Jint.Native.Function.Function)
            {
                problems.Add(new PolicyProblem(file.Path, ModuleCompiler.FindExportLine(parsed.Program, "decide"), 1, "the module must export a function 'decide(input, data, prepared)'"));
            }

            var prepare = exports.Get("prepare");
            var prepareLine = ModuleCompiler.FindExportLine(parsed.Program, "prepare");
            if (!prepare.IsUndefined() && prepare is not Jint.Native.Function.Function)
            {
                problems.Add(new PolicyProblem(file.Path, prepareLine, 1, "'prepare', when exported, must be a function 'prepare(data)'"));
            }

            return problems.Count == before && metadata is not null
                ? new CompiledPolicy(metadata, file.Path, file.Path, parsed.Runnable) { HasPrepare = !prepare.IsUndefined(), PrepareLine = prepareLine }
                : null;
        }
        catch (JavaScriptException e)
        {
            engineTainted = true;
            problems.Add(new PolicyProblem(file.Path, e.Location.Start.Line, e.Location.Start.Column + 1, $"module failed to load: {e.Message}"));
        }
        catch (Exception e) when (e is JintException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            engineTainted = true;
            problems.Add(new PolicyProblem(file.Path, 0, 0, $"module failed to load inside the sandbox limits: {e.Message}"));
        }

        return null;
    }

    private static string ComputeRevision(PolicySourceSnapshot snapshot)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Helper modules count: editing one changes what the policies decide, so it is a new revision.
        foreach (var file in snapshot.Policies.Concat(snapshot.Libraries).Concat(snapshot.DataFiles).OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file.Path));
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(file.Content));
            hash.AppendData([0]);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
