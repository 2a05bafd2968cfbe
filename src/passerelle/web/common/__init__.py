"""What several web apps share: the actor and the access refusals (`actors`), the API's
token authentication, errors and pagination (`api`), CSV answers from frames (`csv`) and
the labels of codes (`labels`). A plain package (no models, no templates) that imports no
app but the accounts models; docs/architecture.md says what goes here."""
