/** `.wasm` imports: wrangler (and the vitest pool) hand them over as compiled modules. */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
