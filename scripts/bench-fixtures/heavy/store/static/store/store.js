document.documentElement.dataset.store = "ready";
