from platform_core.plugins import ModulePlugin

plugin = ModulePlugin(
    name="shop",
    app="modules.shop.apps.ShopConfig",
    label="shop",
    prefix="shop/",
    description="Productos, inventario, carritos y pedidos",
    order=40,
)
