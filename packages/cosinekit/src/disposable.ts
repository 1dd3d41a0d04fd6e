// The well-known symbols of explicit resource management, declared for TypeScript projects
// whose `lib` predates them (ES2022 without ESNext.Disposable): the declarations of
// WasmTensor and Pool name them. This merges with the standard lib's declaration where that
// is present (identical `unique symbol` members merge), as @types/node's does. At run time
// nothing global is defined: engines without the symbols get `Symbol.for` stand-ins as keys.

declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}

/** `Symbol.dispose`, or its registered stand-in where the engine has none. */
export const disposeKey: typeof Symbol.dispose = (Symbol.dispose ?? Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;
/** `Symbol.asyncDispose`, or its registered stand-in. */
export const asyncDisposeKey: typeof Symbol.asyncDispose = (Symbol.asyncDispose ??
  Symbol.for('Symbol.asyncDispose')) as typeof Symbol.asyncDispose;
