using Jint;
using Jint.Runtime;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;

namespace Pdp.Policies.Loading;

/// <summary>
/// Loads the helper modules of a set (<c>lib/*.js</c>): each is parsed and checked like a policy module, its imports
/// must lead to other helper modules, import cycles are refused (they buy nothing in stateless helpers and make
/// load order depend on which module is imported first), and each is instantiated inside the sandbox limits. A helper
/// that fails, or imports one that fails, is unusable; its own problems say why.
/// </summary>
internal static class LibraryLoader
{
    /// <summary>The usable helper modules, each after the ones it imports, and the paths of the unusable ones.</summary>
    public sealed record Result(IReadOnlyList<CompiledLibrary> Usable, IReadOnlySet<string> Unusable);

    public static Result Load(IReadOnlyList<SourceFile> files, SandboxOptions options, List<PolicyProblem> problems)
    {
        var paths = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var parsed = new Dictionary<string, ModuleCompiler.Parsed>(StringComparer.Ordinal);
        var unusable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var module = ModuleCompiler.Parse(file, paths, problems);
            if (module is null)
            {
                unusable.Add(file.Path);
            }
            else
            {
                parsed[file.Path] = module;
            }
        }

        var order = new List<string>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the current path; true: done
        foreach (var path in parsed.Keys.Order(StringComparer.Ordinal))
        {
            Visit(path, [], parsed, state, order, unusable, problems);
        }

        // Dependencies come first in the order, so one failure is known before its dependants are tried.
        var usable = new List<CompiledLibrary>();
        SandboxEngine? engine = null;
        foreach (var path in order)
        {
            var module = parsed[path];
            if (module.Imports.FirstOrDefault(i => unusable.Contains(i.Library)) is { Library: not null } broken)
            {
                unusable.Add(path);
                problems.Add(new PolicyProblem(path, broken.Import.Line, broken.Import.Column, $"import '{broken.Import.Specifier}': the helper module {broken.Library} cannot be loaded (see its problems)"));
                continue;
            }

            var library = new CompiledLibrary(path, module.Runnable);
            engine ??= new SandboxEngine(options, usable);
            try
            {
                engine.AddLibrary(library);
                engine.ImportFrozen(path);
                usable.Add(library);
            }
            catch (Exception e) when (e is JavaScriptException or JintException or TimeoutException or InvalidOperationException)
            {
                unusable.Add(path);
                var (line, column) = e is JavaScriptException js ? (js.Location.Start.Line, js.Location.Start.Column + 1) : (0, 0);
                problems.Add(new PolicyProblem(path, line, column, $"helper module failed to load{(e is JavaScriptException ? "" : " inside the sandbox limits")}: {e.Message}"));
                engine = null;
            }
        }

        return new Result(usable, unusable);
    }

    private static void Visit(
        string path,
        List<string> trail,
        Dictionary<string, ModuleCompiler.Parsed> parsed,
        Dictionary<string, bool> state,
        List<string> order,
        HashSet<string> unusable,
        List<PolicyProblem> problems)
    {
        if (state.ContainsKey(path) || !parsed.TryGetValue(path, out var module))
        {
            return;
        }

        state[path] = false;
        trail.Add(path);
        foreach (var (import, library) in module.Imports)
        {
            if (state.TryGetValue(library, out var done) && !done)
            {
                var cycle = trail.Skip(trail.IndexOf(library)).Append(library).ToArray();
                problems.Add(new PolicyProblem(path, import.Line, import.Column, $"import '{import.Specifier}' closes an import cycle ({string.Join(" → ", cycle)}): helper modules may not import each other in a cycle"));
                unusable.UnionWith(cycle);
                continue;
            }

            Visit(library, trail, parsed, state, order, unusable, problems);
        }

        trail.RemoveAt(trail.Count - 1);
        state[path] = true;
        order.Add(path);
    }
}
