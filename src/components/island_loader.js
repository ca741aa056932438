// Loads the page's WASM bundles once the browser is idle, hydrates each island of the page in
// document order with the bundle that holds it, then marks the page as interactive
// (<html data-hydrated>). Called with a list of [JavaScript, WASM] paths, one pair per bundle.
((files) => {
  const start = async () => {
    const bundles = [];
    for (const [js, wasm] of files) {
      const bundle = await import(js);
      await bundle.default({ module_or_path: wasm });
      bundle.hydrate();
      bundles.push(bundle);
    }
    for (const island of document.querySelectorAll('leptos-island')) {
      const name = island.dataset.component;
      const bundle = bundles.find((b) => typeof b[name] === 'function');
      if (bundle) {
        await bundle[name](island);
      } else {
        console.error(`cannot hydrate the island ${name}: no bundle of the page has such a function`);
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
