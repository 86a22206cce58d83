using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime.Descriptors;

namespace Pdp.Policies.Sandbox;

/// <summary>
/// Freezes object graphs from the host side, the way <c>Object.freeze</c> would, recursively and
/// through prototypes. Done natively rather than by calling <c>Object.freeze</c> from script so it
/// does not count against a policy's statement or time budget. Remembers what it froze, so shared
/// structure (the intrinsics) is walked once per engine.
/// </summary>
internal sealed class DeepFreezer
{
    private readonly HashSet<ObjectInstance> _frozen = new(ReferenceEqualityComparer.Instance);
    private readonly Stack<ObjectInstance> _pending = new();

    public void Freeze(JsValue value)
    {
        if (value is not ObjectInstance root)
        {
            return;
        }

        _pending.Push(root);
        while (_pending.Count > 0)
        {
            var current = _pending.Pop();
            if (!_frozen.Add(current))
            {
                continue;
            }

            foreach (var key in current.GetOwnPropertyKeys())
            {
                FreezeProperty(current, key);
            }

            if (current.Prototype is { } prototype)
            {
                _pending.Push(prototype);
            }

            current.PreventExtensions();
        }
    }

    private void FreezeProperty(ObjectInstance owner, JsValue key)
    {
        var descriptor = owner.GetOwnProperty(key);
        if (descriptor == PropertyDescriptor.Undefined)
        {
            return;
        }

        if (descriptor.IsDataDescriptor())
        {
            if (descriptor.Value is ObjectInstance child)
            {
                _pending.Push(child);
            }

            if (descriptor.Writable || descriptor.Configurable)
            {
                owner.DefineOwnProperty(key, new PropertyDescriptor(descriptor.Value, writable: false, descriptor.Enumerable, configurable: false));
            }

            return;
        }

        if (descriptor.Get is ObjectInstance getter)
        {
            _pending.Push(getter);
        }

        if (descriptor.Set is ObjectInstance setter)
        {
            _pending.Push(setter);
        }

        if (descriptor.Configurable)
        {
            owner.DefineOwnProperty(key, new GetSetPropertyDescriptor(descriptor.Get, descriptor.Set, descriptor.Enumerable, configurable: false));
        }
    }
}
