// The SPARQL page's query editor (a static file: the Content-Security-Policy allows no inline script).
(function () {
  var root = document.getElementById("yasgui");
  if (typeof Yasgui === "undefined") {
    document.getElementById("yasgui-missing").hidden = false;
    return;
  }
  var examples = JSON.parse(document.getElementById("example-queries").textContent);
  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: root.dataset.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: "tfatlas-yasgui-" + document.documentElement.lang,  // tabs titled in the page's language
    // Prefixes and variables complete from the editor's own lists; the property and class
    // completers would send what is typed to a third party (Linked Open Vocabularies).
    yasqe: { autocompleters: ["prefixes", "variables"] }
  });
  var known = {};
  Object.values(yasgui._tabs || {}).forEach(function (tab) { known[tab.getName()] = true; });
  examples.forEach(function (example) {
    if (known[example.name]) return;
    yasgui.addTab(false, Object.assign(Yasgui.Tab.getDefaults(), {
      name: example.name, yasqe: { value: example.query }
    }));
  });
})();
