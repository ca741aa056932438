// Loads the WASM bundle once the browser is idle, hydrates each island of the page in document
// order, then marks the page as interactive (<html data-hydrated>). Called with the paths of the
// bundle's JavaScript and WASM.
((js, wasm) => {
  const start = async () => {
    const bundle = await import(js);
    await bundle.default({ module_or_path: wasm });
    bundle.hydrate();
    for (const island of document.querySelectorAll('leptos-island')) {
      const name = island.dataset.component;
      if (typeof bundle[name] === 'function') {
        await bundle[name](island);
      } else {
        console.error(`cannot hydrate the island ${name}: the bundle has no such function`);
      }
    }
    document.documentElement.setAttribute('data-hydrated', 'true');
  };
  if ('requestIdleCallback' in window) {
    window.requestIdleCallback(start);
  } else {
    start();
  }
})
