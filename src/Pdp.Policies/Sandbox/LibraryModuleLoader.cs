using Jint;
using Jint.Runtime.Modules;
using Pdp.Policies.Loading;

namespace Pdp.Policies.Sandbox;

/// <summary>
/// The sandbox's module loader. It never reads a file: every module an engine may use is registered in it up front
/// (policies and the set's helper modules, already validated and hashed into the revision), so this only maps names.
/// A top-level name (what the host imports) is its own key; an import inside a module is resolved by
/// <see cref="LibraryImports"/> and must name a registered helper module. Anything else throws, so an import the
/// loader did not check can never fall through to some other source.
/// </summary>
internal sealed class LibraryModuleLoader(IReadOnlySet<string> libraries) : IModuleLoader
{
    public ResolvedSpecifier Resolve(string? referencingModuleLocation, ModuleRequest moduleRequest)
    {
        if (referencingModuleLocation is null)
        {
            return new ResolvedSpecifier(moduleRequest, moduleRequest.Specifier, Uri: null, SpecifierType.Bare);
        }

        var key = LibraryImports.Resolve(referencingModuleLocation, moduleRequest.Specifier, out var error);
        if (key is null || !libraries.Contains(key))
        {
            throw new InvalidOperationException($"{referencingModuleLocation}: import {error ?? $"'{moduleRequest.Specifier}': no helper module {key}"}");
        }

        return new ResolvedSpecifier(moduleRequest, key, Uri: null, SpecifierType.RelativeOrAbsolute);
    }

    // Registered modules are served by the engine before it asks here; reaching this means the name is unknown.
    public Module LoadModule(Engine engine, ResolvedSpecifier resolved) =>
        throw new InvalidOperationException($"no policy or helper module is registered as '{resolved?.Key}'");
}
